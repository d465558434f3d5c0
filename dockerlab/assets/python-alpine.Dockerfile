# A real-world style Dockerfile: Python built from source on Alpine, the way the
# official `python:3.13-alpine` image is made (github.com/docker-library/python):
# a pinned base, run-time packages from Alpine's mirror, the source tarball
# downloaded and its signature checked, build tools added and removed in the
# same RUN so they leave no layer behind. (Written for this course in that style;
# not the official file.) Its steps download, so the kit, whose builds have no
# network, can only read it: `python -m dockerlab score` gives a partial scorecard.
FROM alpine:3.23

# Python installed here comes before any from the distribution.
ENV PATH=/usr/local/bin:$PATH
ENV LANG=C.UTF-8

# What Python needs at run time.
RUN set -eux; \
	apk add --no-cache ca-certificates tzdata

ENV GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305
ENV PYTHON_VERSION=3.13.11

RUN set -eux; \
	apk add --no-cache --virtual .build-deps \
		bzip2-dev dpkg dpkg-dev gcc gdbm-dev gnupg libc-dev libffi-dev linux-headers \
		make ncurses-dev openssl-dev pax-utils readline-dev sqlite-dev tar xz xz-dev zlib-dev; \
	url="https://www.python.org/ftp/python/${PYTHON_VERSION}/Python-${PYTHON_VERSION}.tar.xz"; \
	wget -O python.tar.xz "$url"; \
	wget -O python.tar.xz.asc "$url.asc"; \
	GNUPGHOME="$(mktemp -d)"; export GNUPGHOME; \
	gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys "$GPG_KEY"; \
	gpg --batch --verify python.tar.xz.asc python.tar.xz; \
	rm -rf "$GNUPGHOME" python.tar.xz.asc; \
	mkdir -p /usr/src/python; \
	tar -xJf python.tar.xz -C /usr/src/python --strip-components=1; \
	rm python.tar.xz; \
	cd /usr/src/python; \
	./configure --build="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)" \
		--enable-shared --enable-loadable-sqlite-extensions --with-ensurepip; \
	make -j "$(nproc)"; \
	make install; \
	cd /; \
	rm -rf /usr/src/python; \
# keep the shared libraries the new files link to; the build tools go
	scanelf --recursive --needed --nobanner --format '%n#p' /usr/local \
		| tr ',' '\n' | sort -u | grep -v '^libpython' | sed 's/^/so:/' \
		| xargs -rt apk add --no-network --virtual .python-rundeps; \
	apk del --no-network .build-deps; \
	python3 --version

# python, pip, pydoc next to python3, pip3, pydoc3.
RUN set -eux; \
	for name in pip pydoc python python-config; do \
		ln -sv "${name}3" "/usr/local/bin/${name}"; \
	done

CMD ["python3"]
