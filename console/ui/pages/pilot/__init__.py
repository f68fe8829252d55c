"""The Pilot page: a baseline and a candidate on real cases, judged by a bar set before the run."""
