"""The facts families (webapp.evaluation.facts), one module per SOP; importing this
package registers them all."""

from webapp.evaluation.families import (  # noqa: F401
    activities,
    complaints,
    estate,
    praise,
    services,
    slips,
    work,
)
