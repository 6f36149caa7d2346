package dev.downloadservice.http;

/** What a port serves: the archives, the admin endpoints (/metrics, /healthz), or both. */
enum Endpoints {
    ALL(/* archives= */ true, /* admin= */ true),
    ARCHIVES(/* archives= */ true, /* admin= */ false),
    ADMIN(/* archives= */ false, /* admin= */ true);

    private final boolean archives;
    private final boolean admin;

    Endpoints(boolean archives, boolean admin) {
        this.archives = archives;
        this.admin = admin;
    }

    boolean archives() {
        return archives;
    }

    /** Whether a request for the route is answered here; else it gets a 404, as if there were no such page. */
    boolean serves(RequestTarget.Route route) {
        boolean adminRoute = route == RequestTarget.Route.METRICS || route == RequestTarget.Route.HEALTH;
        return adminRoute ? admin : archives;
    }
}
