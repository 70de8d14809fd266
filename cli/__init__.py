"""The `cloudpc` command line: a tenant's configuration as code (export, plan, apply) from a pipeline or a shell."""
