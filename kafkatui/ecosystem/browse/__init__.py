"""Finding records in a topic: filters (jq over the value, a regex over key, value and
headers, a time range), seeking by time through ListOffsets, and the lossless line formats
records are exported in and imported from. Over a `Backend` only, so `kafkatui consume`,
`kafkatui topic export|import` and the workbench's Records panel share one implementation.
"""
