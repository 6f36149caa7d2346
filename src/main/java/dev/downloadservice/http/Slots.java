package dev.downloadservice.http;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Work under way (downloads, or listings), in all and per client: more is refused above
 * either limit, so that a crowd, or one client with a download manager gone wild or a flood
 * of HEAD requests for a huge folder, cannot take every descriptor, buffer and I/O thread.
 * Connections live on several event loops, hence the lock.
 */
final class Slots {

    private final int max;
    private final int maxPerClient;
    private final Map<String, Integer> perClient = new HashMap<>();
    private int taken;

    Slots(int max, int maxPerClient) {
        this.max = max;
        this.maxPerClient = maxPerClient;
    }

    /** A slot taken by one download or listing; giving it back more than once gives it back once. */
    final class Slot {
        private final String client;
        private boolean givenBack;

        private Slot(String client) {
            this.client = client;
        }

        void giveBack() {
            synchronized (Slots.this) {
                if (givenBack) {
                    return;
                }
                givenBack = true;
                taken--;
                perClient.computeIfPresent(client, (c, n) -> n > 1 ? n - 1 : null);
            }
        }
    }

    /** Takes a slot for the client, or none if none is free. */
    synchronized Optional<Slot> tryTake(String client) {
        int ofClient = perClient.getOrDefault(client, 0);
        if (taken >= max || ofClient >= maxPerClient) {
            return Optional.empty();
        }
        taken++;
        perClient.put(client, ofClient + 1);
        return Optional.of(new Slot(client));
    }
}
