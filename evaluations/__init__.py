"""Evaluations: self, peer, public, leader and organisational evaluation (to come)."""
