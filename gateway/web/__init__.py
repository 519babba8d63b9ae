"""HTTP edges: blueprints that translate requests into domain calls and answers."""
