"""The core layer: syntax, model, loader, graph, semantics, engine, rules and
explanation. It imports nothing above it (docs/architecture.md)."""
