"""The presenters: text, JSON, SARIF, GitHub, Markdown, DOT/SVG and the HTML
explorer, made from ``cruxmap.api`` results (docs/architecture.md)."""
