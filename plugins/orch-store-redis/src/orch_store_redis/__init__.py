"""orch-store-redis: orchcore's session store on a Redis server, shared by every machine of a team."""
