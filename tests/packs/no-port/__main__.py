import time

time.sleep(3600)  # never starts its server, so it never prints a port
