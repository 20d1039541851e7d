from celery import shared_task


@shared_task(name="core.echo")
def echo(value: str) -> str:
    """Returns its argument: lets health checks and tests prove a worker round trip."""
    return value
