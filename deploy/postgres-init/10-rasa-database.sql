-- Rasa's tracker store (bot/endpoints.production.yml) lives in its own database on the same
-- PostgreSQL, owned by the same role. Runs once, when the data volume is first initialised.
CREATE DATABASE rasa OWNER handover;
