-- mysql-a: the default database and cart shards 00-07 (CART_SHARD_URLS' first URL).
CREATE DATABASE IF NOT EXISTS cart_default CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS cart_00 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS cart_01 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS cart_02 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS cart_03 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS cart_04 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS cart_05 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS cart_06 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS cart_07 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
-- The app's user authenticates with mysql_native_password (the server runs with
-- --mysql-native-password=ON): the MariaDB client library in the app image then needs
-- neither TLS nor the server's RSA key to log in.
ALTER USER 'cart'@'%' IDENTIFIED WITH mysql_native_password BY 'cart';
GRANT ALL PRIVILEGES ON `cart\_%`.* TO 'cart'@'%';
