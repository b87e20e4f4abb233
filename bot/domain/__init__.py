"""Pure domain: models, validation, rules, ports. Standard library only (plus phonenumbers
and opencc, which are data libraries, not frameworks)."""
