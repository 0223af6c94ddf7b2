"""``obsgov report``: what an environment deploys where, which controls it meets, and what it
will cost, from the synthesized graph and the gate's results."""
