-- The second database of the compose stack (the first, app, is POSTGRES_DB).
CREATE DATABASE billing;
