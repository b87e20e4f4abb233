"""Case use cases, one module each: assignment, relay, lifecycle, queries, and messages (who
is told what). The rules they apply are in bot.domain.cases."""
