package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConditionsTest {

    private static final String ETAG = "\"abc\"";
    private static final long MODIFIED = 1_700_000_000L;
    private static final String MODIFIED_DATE = Conditions.httpDate(MODIFIED);

    @Test
    void evaluate_noConditions_goesOn() {
        assertThat(Conditions.evaluate(headers(), ETAG, MODIFIED, true)).isNull();
    }

    @ParameterizedTest(name = "If-Match: {0} -> {1}")
    @CsvSource(delimiter = '|', value = {"\"abc\"|true", "*|true", "\"x\", \"abc\"|true", "W/\"abc\"|false", "\"x\"|false"})
    void evaluate_ifMatch_strongComparisonOr412(String ifMatch, boolean passes) {
        HttpResponseStatus status = Conditions.evaluate(headers("If-Match", ifMatch), ETAG, MODIFIED, true);

        assertThat(status).isEqualTo(passes ? null : HttpResponseStatus.PRECONDITION_FAILED);
    }

    @ParameterizedTest(name = "If-None-Match: {0} -> {1}")
    @CsvSource(delimiter = '|', value = {"\"abc\"|true", "W/\"abc\"|true", "*|true", "\"x\",W/\"abc\"|true", "\"x\"|false"})
    void evaluate_ifNoneMatch_weakComparisonGives304(String ifNoneMatch, boolean notModified) {
        HttpResponseStatus status = Conditions.evaluate(headers("If-None-Match", ifNoneMatch), ETAG, MODIFIED, true);

        assertThat(status).isEqualTo(notModified ? HttpResponseStatus.NOT_MODIFIED : null);
    }

    @Test
    void evaluate_ifNoneMatchMisses_ignoresIfModifiedSince() {
        HttpHeaders headers = headers("If-None-Match", "\"x\"", "If-Modified-Since", MODIFIED_DATE);

        assertThat(Conditions.evaluate(headers, ETAG, MODIFIED, true)).isNull();
    }

    @ParameterizedTest(name = "If-Modified-Since {0}s from Last-Modified -> 304 {1}")
    @CsvSource({"0, true", "10, true", "-1, false"})
    void evaluate_ifModifiedSince_304UnlessNewer(long offset, boolean notModified) {
        HttpHeaders headers = headers("If-Modified-Since", Conditions.httpDate(MODIFIED + offset));

        assertThat(Conditions.evaluate(headers, ETAG, MODIFIED, true)).isEqualTo(notModified ? HttpResponseStatus.NOT_MODIFIED : null);
    }

    @Test
    void evaluate_ifUnmodifiedSinceOlder_412() {
        HttpHeaders headers = headers("If-Unmodified-Since", Conditions.httpDate(MODIFIED - 1));

        assertThat(Conditions.evaluate(headers, ETAG, MODIFIED, true)).isEqualTo(HttpResponseStatus.PRECONDITION_FAILED);
    }

    @Test
    void evaluate_unparsableDate_isIgnored() {
        assertThat(Conditions.evaluate(headers("If-Modified-Since", "yesterday"), ETAG, MODIFIED, true)).isNull();
    }

    /** An object store's folder has no time of its own: a removed newest file would move Last-Modified back. */
    @Test
    void evaluate_datesThatDoNotValidate_areIgnored() {
        assertThat(Conditions.evaluate(headers("If-Modified-Since", MODIFIED_DATE), ETAG, MODIFIED, true))
                .isEqualTo(HttpResponseStatus.NOT_MODIFIED);
        assertThat(Conditions.evaluate(headers("If-Modified-Since", MODIFIED_DATE), ETAG, MODIFIED, false)).isNull();
        assertThat(Conditions.evaluate(headers("If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"), ETAG,
                MODIFIED, false)).isNull();
        assertThat(Conditions.evaluate(headers("If-None-Match", ETAG), ETAG, MODIFIED, false))
                .isEqualTo(HttpResponseStatus.NOT_MODIFIED);
    }

    @ParameterizedTest(name = "If-Range: {0} -> {1}")
    @CsvSource(delimiter = '|', value = {"\"abc\"|true", "W/\"abc\"|false", "\"x\"|false", "garbage|false"})
    void rangeApplies_ifRangeEntityTag_onlyStrongMatch(String ifRange, boolean applies) {
        assertThat(Conditions.rangeApplies(headers("If-Range", ifRange), ETAG)).isEqualTo(applies);
    }

    @Test
    void rangeApplies_ifRangeDate_neverEvenTheExactLastModified() {
        assertThat(Conditions.rangeApplies(headers("If-Range", MODIFIED_DATE), ETAG)).isFalse();
        assertThat(Conditions.rangeApplies(headers(), ETAG)).isTrue();
    }

    private static HttpHeaders headers(String... namesAndValues) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.add(namesAndValues[i], namesAndValues[i + 1]);
        }
        return headers;
    }
}
