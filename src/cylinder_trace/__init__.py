"""cylinder-trace: traceability service for LPG cylinders (一瓶一码)."""
