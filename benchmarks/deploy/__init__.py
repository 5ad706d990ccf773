"""Running the testbed's parts on several hosts: the fleet manifest that says where they run, and
Kubernetes manifests generated from a scenario."""
