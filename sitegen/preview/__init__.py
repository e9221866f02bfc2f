"""What only the preview server uses: where it listens and who may ask it (hosts), which files it watches (watch),
and how it shows a failed build (errors, with its templates and stylesheet in this folder)."""
