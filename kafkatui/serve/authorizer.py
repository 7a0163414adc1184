"""The authorizer a host's wire listeners check requests with, as a command asks for it
(`kafkatui serve --authorizer --super-users … --allow-everyone-if-no-acl-found`): Kafka's
`authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer` with its
two settings, checked here and handed to the wire server as the engine's
`AuthorizerConfig`, so the command names no engine type."""

from __future__ import annotations

from dataclasses import dataclass

from kafkatui.engine.metadata.authorizer import STANDARD_AUTHORIZER, AuthorizerConfig


@dataclass(frozen=True)
class AuthorizerOptions:
    """An authorizer's settings for `ServiceHost.listen_wire`."""

    config: AuthorizerConfig

    @classmethod
    def standard(cls, super_users: str = "", allow_everyone: bool = False) -> AuthorizerOptions:
        """StandardAuthorizer with `super.users` ('User:admin;User:bob') and
        `allow.everyone.if.no.acl.found` (Kafka's default false). An entry of super.users
        that is not a principal (`Type:name`) is a ValueError naming it."""
        config = AuthorizerConfig.from_properties(
            {
                "authorizer.class.name": STANDARD_AUTHORIZER,
                "super.users": super_users,
                "allow.everyone.if.no.acl.found": str(allow_everyone).lower(),
            }
        )
        bad = [p for p in config.super_users if not p.partition(":")[2]]
        if bad:
            raise ValueError(f"super.users: {bad[0]!r} is not a principal (want Type:name, e.g. User:admin)")
        return cls(config)

    def describe(self) -> str:
        """One line: the class and its settings, as `kafkatui serve` prints them."""
        supers = ";".join(sorted(self.config.super_users)) or "none"
        return (
            f"StandardAuthorizer, super.users={supers}, "
            f"allow.everyone.if.no.acl.found={str(self.config.allow_everyone_if_no_acl_found).lower()}"
        )
