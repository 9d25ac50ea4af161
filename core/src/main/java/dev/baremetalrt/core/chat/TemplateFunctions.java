package dev.baremetalrt.core.chat;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/** The functions transformers adds to a chat template's globals; public static for Jinjava's EL. */
public final class TemplateFunctions {
    private TemplateFunctions() {}

    /** The template refuses the conversation; its message goes to the client. */
    public static class RaisedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RaisedException(String message) {
            super(message);
        }
    }

    /** {@code raise_exception(message)}. */
    public static Object raiseException(String message) {
        throw new RaisedException(message);
    }

    /** {@code strftime_now(format)}: the local time formatted with Python's strftime directives. */
    public static String strftimeNow(String format) {
        return strftime(ZonedDateTime.now(), format);
    }

    static String strftime(ZonedDateTime t, String format) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(++i);
            sb.append(switch (d) {
                case 'd' -> "%02d".formatted(t.getDayOfMonth());
                case 'e' -> "%2d".formatted(t.getDayOfMonth());
                case 'm' -> "%02d".formatted(t.getMonthValue());
                case 'Y' -> String.valueOf(t.getYear());
                case 'y' -> "%02d".formatted(t.getYear() % 100);
                case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'H' -> "%02d".formatted(t.getHour());
                case 'I' -> "%02d".formatted((t.getHour() + 11) % 12 + 1);
                case 'p' -> t.getHour() < 12 ? "AM" : "PM";
                case 'M' -> "%02d".formatted(t.getMinute());
                case 'S' -> "%02d".formatted(t.getSecond());
                case 'j' -> "%03d".formatted(t.getDayOfYear());
                case '%' -> "%";
                default -> "%" + d;
            });
        }
        return sb.toString();
    }
}
