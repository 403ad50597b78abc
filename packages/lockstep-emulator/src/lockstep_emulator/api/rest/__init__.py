"""REST handlers under ``/services/data/vNN.0/``, one module per resource family."""

from lockstep_emulator.api.dispatch import Router
from lockstep_emulator.api.rest import (
    collections,
    composite,
    jobs,
    query,
    resources,
    search,
    sobjects,
)


def register(router: Router) -> None:
    """Add every REST route, most specific first."""
    resources.register(router)
    collections.register(router)
    composite.register(router)
    jobs.register(router)
    query.register(router)
    search.register(router)
    sobjects.register(router)
