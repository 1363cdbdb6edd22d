"""`make bench`: a company-sized dataset, the app under gunicorn, wrk against the hot pages."""
