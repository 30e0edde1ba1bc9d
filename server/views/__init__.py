"""The HTML pages: thin handlers that parse, call `surveys/`, and render."""
