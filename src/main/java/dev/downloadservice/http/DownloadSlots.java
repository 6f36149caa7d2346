package dev.downloadservice.http;

import java.util.HashMap;
import java.util.Map;

/**
 * Downloads under way, in all and per client: a new one is refused above either limit,
 * so that a crowd, or one client with a download manager gone wild, cannot take every
 * descriptor and buffer. Connections live on several event loops, hence the lock.
 */
final class DownloadSlots {

    private final int max;
    private final int maxPerClient;
    private final Map<String, Integer> perClient = new HashMap<>();
    private int taken;

    DownloadSlots(int max, int maxPerClient) {
        this.max = max;
        this.maxPerClient = maxPerClient;
    }

    /** Takes a slot for the client, or returns false if none is free; a slot taken is given back once. */
    synchronized boolean tryTake(String client) {
        int ofClient = perClient.getOrDefault(client, 0);
        if (taken >= max || ofClient >= maxPerClient) {
            return false;
        }
        taken++;
        perClient.put(client, ofClient + 1);
        return true;
    }

    synchronized void giveBack(String client) {
        taken--;
        perClient.computeIfPresent(client, (c, n) -> n > 1 ? n - 1 : null);
    }
}
