"""The capacity report: a self-contained HTML (plots inline) and its PDF, in English and Bahasa Indonesia."""
