"""The Tilik Semar portal stand-in: catalogue, live view (HLS), snapshots, events, logins."""
