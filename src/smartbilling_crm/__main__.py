"""`python -m smartbilling_crm`: the operator's commands, the same as `smartbilling-crm`
(for a machine where the virtual environment's scripts are not on the PATH)."""

from smartbilling_crm.cli import app

if __name__ == "__main__":
    app(prog_name="smartbilling-crm")
