"""The directory: people beyond the rota (staff by site and department, with their phone, email,
language and preferred channels) and the groups a broadcast is sent to (`hotline.broadcasts`)."""
