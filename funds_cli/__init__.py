"""The `funds` command line: a thin layer over funds/ and pipelines/."""
