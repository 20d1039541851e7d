from celery import shared_task


@shared_task(name="core.echo", ignore_result=False)
def echo(value: str) -> str:
    """Returns its argument: lets health checks and tests prove a worker round trip (the one
    task whose result is stored)."""
    return value
