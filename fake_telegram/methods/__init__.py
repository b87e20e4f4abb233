"""The Bot API methods of the fake, one module per area; importing this package registers them.

Each method is a function of the shared state (:class:`.FakeState`) and the request
parameters, registered with :func:`.registry.api_method`.
"""

from . import callbacks, chats, commands, files, messages, updates

__all__ = ["callbacks", "chats", "commands", "files", "messages", "updates"]
