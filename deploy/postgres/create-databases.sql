-- Run once by the postgres image on an empty data volume: one database per service (each service owns
-- its tables and reads no other's). The role is POSTGRES_USER, the owner of all three.
CREATE DATABASE sortes_experts;
CREATE DATABASE sortes_vendors;
CREATE DATABASE sortes_gateway;
