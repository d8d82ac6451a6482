"""Pipeline layer: runs methods over a panel and returns result bundles."""
