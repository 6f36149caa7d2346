package dev.downloadservice.source.s3;

import dev.downloadservice.source.ListedNames;

/** Which object keys can become entry names: the same rules as file names, per "directory". */
final class ObjectNames {

    private ObjectNames() {
    }

    /**
     * Why the part of a key below its folder is left out of listings, or null if it is listed.
     * A key ending in '/' names a directory. Such keys are left out, never rewritten.
     */
    static String whyLeftOut(String relative, ListedNames listed) {
        String path = relative.endsWith("/") ? relative.substring(0, relative.length() - 1) : relative;
        if (path.startsWith("/")) {
            return "an absolute name";
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty()) {
                return "an empty path segment (//)";
            }
            if (segment.equals(".") || segment.equals("..")) {
                return "a '" + segment + "' path segment";
            }
            String leftOut = listed.whyLeftOut(segment);
            if (leftOut != null) {
                return leftOut;
            }
        }
        return null;
    }

    /** Whether a segment of the name starts with '.', as hidden files and folders do. */
    static boolean isHidden(String relative) {
        return relative.startsWith(".") || relative.contains("/.");
    }
}
