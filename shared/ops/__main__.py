from shared.ops.cli import app

app()
