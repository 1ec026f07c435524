"""Code every Conveyor service imports: settings, database, jobs, credits, Celery wiring."""
