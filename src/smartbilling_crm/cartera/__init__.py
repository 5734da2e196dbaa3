"""The portfolio at a glance: alerts across clients, the dashboard and the pipeline."""
