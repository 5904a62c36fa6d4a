"""What every log line of a request or task says about where it ran: the request's id, the unit and
the user. Set by the request middleware (jiannuo.logs) and by routing once it knows the caller;
read by jiannuo.logs.ContextFilter."""
import contextvars

request_id = contextvars.ContextVar("request_id", default="")
user_id = contextvars.ContextVar("user_id", default=None)
unit_schema = contextvars.ContextVar("unit_schema", default="")
