# Rule fixtures are scanned as data, never collected or imported: some of them are hostile on purpose.
collect_ignore_glob = ["fixtures/*"]
