"""Small pieces shared by every tilikbench part: errors and exit codes, owned subprocesses,
results metadata. Kept deliberately small; a part's own concepts live in that part."""
