"""SimPy model of the city system, calibrated on measured costs; sizes the hardware."""
