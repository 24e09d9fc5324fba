"""The evaluation survey participants get after their group's last session."""
