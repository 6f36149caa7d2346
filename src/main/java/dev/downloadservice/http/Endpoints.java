package dev.downloadservice.http;

/** What a port serves: the archives, the admin endpoints (/metrics, /healthz), or both. */
enum Endpoints {
    ALL(true, true), ARCHIVES(true, false), ADMIN(false, true);

    private final boolean archives;
    private final boolean admin;

    Endpoints(boolean archives, boolean admin) {
        this.archives = archives;
        this.admin = admin;
    }

    boolean archives() {
        return archives;
    }

    boolean admin() {
        return admin;
    }
}
