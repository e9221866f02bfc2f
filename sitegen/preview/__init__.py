"""What only the preview server uses: where it listens and who may ask it (hosts), which files it watches (watch),
how it shows a failed build (errors, with its templates and stylesheet in this folder), when it frees memory
(collector) and which page of a topic in pages now holds the fact an editor was reading (place)."""
