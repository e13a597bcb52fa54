x = "unterminated
import a
