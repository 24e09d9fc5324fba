"""The end of a group: completions, the letter of reflective supervision hours, its
public verification page, and coordinators issuing and re-issuing letters."""
