from lib.settings import apply_prefect_defaults

apply_prefect_defaults()
