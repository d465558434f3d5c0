"""The "configuration and secrets" checks, against right answers and several wrong ones.

Among the wrong ones: images that meet the target (no token inside, not root)
without running the app (a command that prints what the app would).
"""

import pytest

from dockerlab.exercises import NOT_YET, PASSED
from dockerlab.exercises.config import TOKEN, q1, q2, run_time_token

pytestmark = pytest.mark.usefixtures("nothing_left")


@pytest.mark.parametrize("q", [q1, q2])
def test_the_solution_passes(q, bases):
    out = q.check(q.solution_text)
    assert out.status == PASSED, out.message
    assert TOKEN not in out.message


def test_q1_a_secret_mount_that_copies_the_token_into_a_layer_leaks(bases):
    out = q1.check(
        f"FROM {bases['alpine']}\n"
        "RUN --mount=type=secret,id=api_token cp /run/secrets/api_token /kept\n"
        'COPY app.sh /app.sh\nCMD ["/app.sh"]\n'
    )
    assert out.status == NOT_YET and "/kept" in out.message


def test_q1_starting_point_finds_every_place(bases):
    out = q1.check(q1.starting_point)
    assert out.status == NOT_YET
    assert "/run/token.txt" in out.message and "config.Env" in out.message
    assert TOKEN not in out.message  # the check never prints the secret


def test_q1_copy_then_rm_in_the_same_run_still_leaks(bases):
    out = q1.check(f'FROM {bases["alpine"]}\nCOPY token.txt /t\nRUN cat /t > /dev/null && rm /t\n'
                   'COPY app.sh /app.sh\nCMD ["/app.sh"]\n')  # fmt: skip
    assert out.status == NOT_YET and "layer" in out.message


def test_q1_arg_default_leaks_into_the_history(bases):
    out = q1.check(f'FROM {bases["alpine"]}\nARG API_TOKEN={TOKEN}\nRUN echo "$API_TOKEN" | wc -c\n'
                   'COPY app.sh /app.sh\nCMD ["/app.sh"]\n')  # fmt: skip
    assert out.status == NOT_YET and "history" in out.message


def test_q1_image_that_does_not_run_the_app(bases):
    out = q1.check(f"FROM {bases['alpine']}\n")
    assert out.status == NOT_YET and "should run /app.sh" in out.message


def test_q1_a_command_that_prints_the_apps_lines_is_not_the_app(bases):
    """No token in the image, and output like the app's: but not for the token given."""
    # 7 characters: a length no run-time token has (it was 20 here, which one check in nine
    # drew, and then the fake "passed").
    assert all(len(run_time_token()) != 7 for _ in range(1000))
    out = q1.check(
        f"FROM {bases['alpine']}\n"
        'CMD ["sh", "-c", "echo app: token of 7 characters, greeting hello; echo report for root"]\n'
    )
    assert out.status == NOT_YET and "it should run /app.sh" in out.message


def test_q2_not_root_but_not_the_app_is_not_yet(bases):
    """USER set, `id -u` not 0: and a command that only prints a report line."""
    out = q2.check(f'FROM {bases["alpine"]}\nUSER 10001\nCMD ["sh", "-c", "echo report for app"]\n')
    assert out.status == NOT_YET and "but not the app" in out.message


def test_q2_root_by_default(bases):
    out = q2.check(f'FROM {bases["alpine"]}\nCOPY app.sh /app.sh\nCMD ["/app.sh"]\n')
    assert out.status == NOT_YET and "no USER" in out.message


@pytest.mark.parametrize("user", ["root", "0"])
def test_q2_user_root_is_still_root(bases, user):
    out = q2.check(f'FROM {bases["alpine"]}\nCOPY app.sh /app.sh\nUSER {user}\nCMD ["/app.sh"]\n')
    assert out.status == NOT_YET and "still root" in out.message


def test_q2_a_user_who_cannot_write_data(bases):
    out = q2.check(f'FROM {bases["alpine"]}\nRUN mkdir /data\nCOPY app.sh /app.sh\nUSER 10001\n'
                   'CMD ["/app.sh"]\n')  # fmt: skip
    assert out.status == NOT_YET and "Can that user write /data" in out.message


def _encoded_answers() -> dict[str, str]:
    """Answers that keep the token in an encoded form (no test above has one)."""
    import base64
    import gzip

    raw = TOKEN.encode()
    gz = base64.b64encode(gzip.compress(b"api_token=" + raw + b"\n")).decode()
    return {
        "base64 in ENV (offset 1, padded)": "ENV CONFIG=" + base64.b64encode(b"x" + raw).decode(),
        "url-safe base64, no padding, in a file": "RUN echo '"
        + base64.urlsafe_b64encode(b"Bearer " + raw).decode().rstrip("=")
        + "' > /etc/auth",
        "base32 in a LABEL": "LABEL auth=" + base64.b32encode(b"ab" + raw).decode(),
        "hex, upper case, in a file": f"RUN echo {raw.hex().upper()} > /etc/auth.hex",
        "reversed in a file": f"RUN echo '{TOKEN[::-1]}' > /etc/auth.rev",
        "url-encoded in ENV": "ENV URL=https://api.example/?token="
        + "".join(f"%{b:02x}" for b in raw),
        "gzip-compressed in a file": f"RUN echo {gz} | base64 -d > /etc/auth.gz",
    }


@pytest.mark.parametrize("case", list(_encoded_answers()))
def test_q1_an_encoded_token_is_a_trace(case, bases):
    body = _encoded_answers()[case]
    out = q1.check(f'FROM {bases["alpine"]}\n{body}\nCOPY app.sh /app.sh\nCMD ["/app.sh"]\n')
    assert out.status == NOT_YET, out.message
    assert "The token is in the image" in out.message and "(as " in out.message
    assert TOKEN not in out.message
