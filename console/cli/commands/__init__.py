"""One module per ``routedesk`` subcommand; each defines ``register(subparsers)``.

Modules here are discovered by ``console.cli.main``; adding a command touches no shared file.
"""
